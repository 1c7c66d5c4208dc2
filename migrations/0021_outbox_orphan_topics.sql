-- 0021_outbox_orphan_topics: the vault no longer writes vault.card.created and
-- vault.card.deleted to the outbox. No worker ever consumed them, so each card left one
-- pending row for ever and a backlog alert could never clear; the audit chain already
-- records every tokenization and crypto-shredding. The rows already written go.

delete from outbox_events where topic in ('vault.card.created', 'vault.card.deleted');
