-- 基层治理 (governance): the tables of the area.
SELECT 1;
