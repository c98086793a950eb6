-- Roles for docker-compose: the owner runs migrations, the application role
-- owns nothing and has neither SUPERUSER nor BYPASSRLS. configmat_app is the
-- group the migrations grant table privileges to.
CREATE ROLE configmat_owner LOGIN PASSWORD 'owner-dev-password';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'configmat_app') THEN
    CREATE ROLE configmat_app NOLOGIN;
  END IF;
END $$;
CREATE ROLE configmat_service LOGIN PASSWORD 'service-dev-password' NOSUPERUSER NOBYPASSRLS IN ROLE configmat_app;
CREATE DATABASE configmat OWNER configmat_owner;
