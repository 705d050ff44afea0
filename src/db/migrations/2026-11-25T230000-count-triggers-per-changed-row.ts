import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * PostgreSQL only: the triggers that keep counts and bodies exact on an UPDATE of conversations
 * now fire only for a row whose counted columns changed. As statement-level triggers they ran on
 * every update, and PostgreSQL allows neither a column list nor a WHEN condition on those (not
 * with transition tables), so each rebuild of bodies (an update of `body` alone) paid for
 * joining every updated row's old and new versions twice: measured on import, more time than
 * the updates themselves. Row triggers with WHEN conditions are skipped in the executor without
 * calling any function, and an update that moves a count changes one row (a status change), or
 * a few per batch. SQLite's triggers were already written this way.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql
    .raw(
      `
    drop trigger conversation_counts_update on conversations;
    drop function parley_counts_update();
    create function parley_counts_move() returns trigger language plpgsql as $$
    begin
      update conversation_counts set n = n - 1
      where workspace_id = old.workspace_id and status = old.status and channel = old.channel and agent_id = coalesce(old.agent_id, 0);
      insert into conversation_counts as c (workspace_id, status, channel, agent_id, n)
      values (new.workspace_id, new.status, new.channel, coalesce(new.agent_id, 0), 1)
      on conflict (workspace_id, status, channel, agent_id) do update set n = c.n + 1;
      return null;
    end $$;
    create trigger conversation_counts_update after update of workspace_id, status, channel, agent_id on conversations
      for each row when ((old.workspace_id, old.status, old.channel, old.agent_id) is distinct from
                         (new.workspace_id, new.status, new.channel, new.agent_id))
      execute function parley_counts_move();

    drop trigger campaign_counts_update on conversations;
    drop function parley_campaign_counts_update();
    create function parley_campaign_counts_move() returns trigger language plpgsql as $$
    begin
      if old.campaign_id is not null then
        update campaign_counts set n = n - 1 where workspace_id = old.workspace_id and campaign_id = old.campaign_id;
      end if;
      if new.campaign_id is not null then
        insert into campaign_counts as c (workspace_id, campaign_id, n) values (new.workspace_id, new.campaign_id, 1)
        on conflict (workspace_id, campaign_id) do update set n = c.n + 1;
      end if;
      return null;
    end $$;
    create trigger campaign_counts_update after update of workspace_id, campaign_id on conversations
      for each row when ((old.workspace_id, old.campaign_id) is distinct from (new.workspace_id, new.campaign_id))
      execute function parley_campaign_counts_move();

    drop trigger conversation_body_stale on conversations;
    create trigger conversation_body_stale before update on conversations
      for each row when (old.body is not null and new.body is not distinct from old.body)
      execute function parley_conversation_body_stale();`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql
    .raw(
      `
    drop trigger conversation_counts_update on conversations;
    drop function parley_counts_move();
    create function parley_counts_update() returns trigger language plpgsql as $$
    begin
      insert into conversation_counts as c (workspace_id, status, channel, agent_id, n)
      select o.workspace_id, o.status, o.channel, coalesce(o.agent_id, 0), -count(*) from old_rows o join new_rows n on n.id = o.id
      where (o.workspace_id, o.status, o.channel, coalesce(o.agent_id, 0)) is distinct from (n.workspace_id, n.status, n.channel, coalesce(n.agent_id, 0))
      group by o.workspace_id, o.status, o.channel, coalesce(o.agent_id, 0)
      on conflict (workspace_id, status, channel, agent_id) do update set n = c.n + excluded.n;
      insert into conversation_counts as c (workspace_id, status, channel, agent_id, n)
      select n.workspace_id, n.status, n.channel, coalesce(n.agent_id, 0), count(*) from old_rows o join new_rows n on n.id = o.id
      where (o.workspace_id, o.status, o.channel, coalesce(o.agent_id, 0)) is distinct from (n.workspace_id, n.status, n.channel, coalesce(n.agent_id, 0))
      group by n.workspace_id, n.status, n.channel, coalesce(n.agent_id, 0)
      on conflict (workspace_id, status, channel, agent_id) do update set n = c.n + excluded.n;
      return null;
    end $$;
    create trigger conversation_counts_update after update on conversations
      referencing old table as old_rows new table as new_rows for each statement execute function parley_counts_update();

    drop trigger campaign_counts_update on conversations;
    drop function parley_campaign_counts_move();
    create function parley_campaign_counts_update() returns trigger language plpgsql as $$
    begin
      insert into campaign_counts as c (workspace_id, campaign_id, n)
      select o.workspace_id, o.campaign_id, -count(*) from old_rows o join new_rows n on n.id = o.id
      where o.campaign_id is not null and (o.workspace_id, o.campaign_id) is distinct from (n.workspace_id, n.campaign_id)
      group by o.workspace_id, o.campaign_id
      on conflict (workspace_id, campaign_id) do update set n = c.n + excluded.n;
      insert into campaign_counts as c (workspace_id, campaign_id, n)
      select n.workspace_id, n.campaign_id, count(*) from old_rows o join new_rows n on n.id = o.id
      where n.campaign_id is not null and (o.workspace_id, o.campaign_id) is distinct from (n.workspace_id, n.campaign_id)
      group by n.workspace_id, n.campaign_id
      on conflict (workspace_id, campaign_id) do update set n = c.n + excluded.n;
      return null;
    end $$;
    create trigger campaign_counts_update after update on conversations
      referencing old table as old_rows new table as new_rows for each statement execute function parley_campaign_counts_update();

    drop trigger conversation_body_stale on conversations;
    create trigger conversation_body_stale before update on conversations
      for each row execute function parley_conversation_body_stale();`,
    )
    .execute(db);
}
