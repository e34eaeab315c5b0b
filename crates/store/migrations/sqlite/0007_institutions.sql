-- 养老服务机构 (institutions): the tables of the area.
SELECT 1;
