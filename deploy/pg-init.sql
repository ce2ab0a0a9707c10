-- One database per node (docker-compose.yml): nodes share nothing but the
-- PostgreSQL server process. Run once, by the postgres image's entrypoint.
CREATE DATABASE sdns_alpha OWNER sdns;
CREATE DATABASE sdns_beta OWNER sdns;
CREATE DATABASE sdns_gamma OWNER sdns;
