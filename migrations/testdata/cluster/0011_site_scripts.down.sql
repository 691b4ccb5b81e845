DROP TABLE IF EXISTS site_scripts ON CLUSTER sillage;
