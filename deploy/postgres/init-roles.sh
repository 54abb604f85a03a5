#!/bin/sh
# First start of the compose database (docker-entrypoint-initdb.d): the gateway's roles and
# schema (roles.sql), and the two roles' passwords read from the mounted secret files.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f /gateway/roles.sql
# psql reads the files itself (\set with backticks): no password on any command line.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set owner_password `cat /run/gateway-secrets/db-owner-password`
\set app_password `cat /run/gateway-secrets/db-app-password`
ALTER ROLE gateway_owner PASSWORD :'owner_password';
ALTER ROLE gateway_app PASSWORD :'app_password';
SQL
