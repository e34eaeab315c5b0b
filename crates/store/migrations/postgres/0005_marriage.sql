-- 婚姻登记 (marriage): the tables of the area.
SELECT 1;
