DROP TABLE IF EXISTS annotation_settings ON CLUSTER sillage;
DROP TABLE IF EXISTS annotations ON CLUSTER sillage;
