-- The databases silobreak uses, as the embedded stack creates them.
create database warehouse;
create database departments;
create database airflow;
create database lineage;
