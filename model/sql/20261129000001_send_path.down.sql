DROP INDEX rtchat_messages_client_id_uq;
CREATE UNIQUE INDEX rtchat_messages_client_id_uq ON rtchat_messages (sender_id, client_msg_id);
ALTER TABLE rtchat_rooms DROP COLUMN acl_version;
