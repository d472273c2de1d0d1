-- Run once by the postgres image on an empty volume: the tracker store (Rasa), the data service
-- and the operator console each get their own database (POSTGRES_DB creates `rasa`).
CREATE DATABASE dataservice;
CREATE DATABASE console;
