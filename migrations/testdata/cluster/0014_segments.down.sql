DROP TABLE IF EXISTS report_segments ON CLUSTER sillage;
DROP TABLE IF EXISTS segments ON CLUSTER sillage;
