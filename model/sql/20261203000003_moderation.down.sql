-- Drops every mute, ban and audit entry with their tables.
DROP INDEX IF EXISTS rtchat_moderation_log_room_idx;
DROP TABLE IF EXISTS rtchat_moderation_log;
DROP TABLE IF EXISTS rtchat_bans;
DROP TABLE IF EXISTS rtchat_mutes;
