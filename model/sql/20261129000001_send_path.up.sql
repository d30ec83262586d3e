-- acl_version counts the changes of a room's settings, members, roles and
-- grants: a send checks its permission against a version and stores only if
-- the room row, once locked, still has it.
ALTER TABLE rtchat_rooms ADD COLUMN acl_version BIGINT NOT NULL DEFAULT 0;
-- A client_msg_id is the sender's idempotency key in one room: the same key
-- in another room is another message.
DROP INDEX rtchat_messages_client_id_uq;
CREATE UNIQUE INDEX rtchat_messages_client_id_uq ON rtchat_messages (room_id, sender_id, client_msg_id);
