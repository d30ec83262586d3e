DROP INDEX rtchat_messages_search_idx;
ALTER TABLE rtchat_messages DROP COLUMN search_vector;
