-- Message search (issue 14). Every message's words, as Postgres's 'simple'
-- configuration finds them (no stemming, no stop words, lower case; the
-- parser skips the tags of the sanitised HTML and their attributes), in a
-- generated column: every insert and edit keeps it in step, and adding it
-- computes it for the rows already there.
ALTER TABLE rtchat_messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
-- Deleted messages never match: a soft-deleted row leaves the index.
CREATE INDEX rtchat_messages_search_idx ON rtchat_messages USING GIN (search_vector) WHERE is_deleted = FALSE;
