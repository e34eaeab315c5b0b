-- 社会救助 (assistance): the tables of the area.
SELECT 1;
