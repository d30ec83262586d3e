-- acl_version counts the changes of a room's settings, members, roles and
-- grants: a send checks its permission against a version and stores only if
-- the room row, once locked, still has it.
ALTER TABLE rtchat_rooms ADD COLUMN acl_version BIGINT NOT NULL DEFAULT 0;
-- Every send updates its room's row (last_seq, last_activity_at): with no
-- index on a column it changes and room on the page, the update is HOT and
-- touches no index. room.list sorts a user's rooms by activity after
-- finding them by id, so the activity index served nothing.
DROP INDEX rtchat_rooms_activity_idx;
-- Room for the new version of the row on its page keeps that update HOT.
ALTER TABLE rtchat_rooms SET (fillfactor = 80);
-- A client_msg_id is the sender's idempotency key in one room: the same key
-- in another room is another message. Only messages that carry one are
-- indexed, as only replies are in the parent index.
DROP INDEX rtchat_messages_client_id_uq;
CREATE UNIQUE INDEX rtchat_messages_client_id_uq ON rtchat_messages (room_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
DROP INDEX rtchat_messages_parent_idx;
CREATE INDEX rtchat_messages_parent_idx ON rtchat_messages (parent_message_id) WHERE parent_message_id IS NOT NULL;
