-- 0045_pagewatch_fk_deferred: a page names its approved observation, and an observation
-- names its page (0039), so the two foreign keys form a cycle, and `kinko backup`, which
-- copies parents before children, refused the database. The page's pointer to its approved
-- observation is now checked at commit (DEFERRABLE INITIALLY DEFERRED): a restore, one
-- transaction, loads both tables and the check runs once at its end. Backup orders tables
-- by the foreign keys that are checked at once.
alter table pagewatch_pages
  alter constraint pagewatch_pages_approved_observation_id_fkey deferrable initially deferred;
