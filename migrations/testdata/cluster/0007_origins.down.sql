DROP TABLE IF EXISTS adoptable_sites ON CLUSTER sillage;
DROP TABLE IF EXISTS account_origins ON CLUSTER sillage;
