-- Roles for docker-compose, as the PostgreSQL adapter's README tells a DBA:
-- no role has SUPERUSER or BYPASSRLS. configmat_app and configmat_directory
-- are the NOLOGIN groups the migrations grant privileges to; the owner runs
-- the migrations and is a member of configmat_directory (which owns the
-- directory functions); the service's role owns nothing and is a member of
-- configmat_app only.
CREATE ROLE configmat_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE ROLE configmat_directory NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE ROLE configmat_owner LOGIN PASSWORD 'owner-dev-password'
    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_directory;
CREATE ROLE configmat_service LOGIN PASSWORD 'service-dev-password'
    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_app;
CREATE DATABASE configmat OWNER configmat_owner;
