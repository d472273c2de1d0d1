-- Run once by the postgres image on an empty volume: the tracker store (Rasa) and the data
-- service each get their own database (POSTGRES_DB creates `rasa`).
CREATE DATABASE dataservice;
