-- A wiped table, and the three questions. Run: psql "$URL" -f sql/examples/wipe.sql
create table accounts (id int primary key, owner text, balance int);
select audit.enable('accounts');
insert into accounts select g, 'owner' || g, 100 from generate_series(1, 500) g;

begin;
select audit.set_context('u-13', 'mallory', 'req-7f3a', '203.0.113.9', 'curl/8.5', 'DELETE /api/accounts');
delete from accounts where id > 50;
commit;

\x auto
select statement_id, table_name, rows, app_username, correlation_id, client_ip, statement
from audit.mass_deletes(now() - interval '1 hour', 100);

select operation, old_values, app_username, correlation_id, db_user
from audit.who_changed('public.accounts', '77');

select source, action, object, rows, username from audit.timeline('req-7f3a');

select seal_id, to_id, row_count from audit.seal();
select seal_id, to_id, row_count from audit.seal();
select count(*) as breaks from audit.verify_chain(null, null);
