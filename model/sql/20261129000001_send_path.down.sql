DROP INDEX rtchat_messages_parent_idx;
CREATE INDEX rtchat_messages_parent_idx ON rtchat_messages (parent_message_id);
DROP INDEX rtchat_messages_client_id_uq;
CREATE UNIQUE INDEX rtchat_messages_client_id_uq ON rtchat_messages (sender_id, client_msg_id);
CREATE INDEX rtchat_rooms_activity_idx ON rtchat_rooms (last_activity_at);
ALTER TABLE rtchat_rooms DROP COLUMN acl_version;
