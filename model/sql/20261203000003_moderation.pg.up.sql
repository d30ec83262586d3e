-- Moderation (issue 14): mutes, bans and the audit trail of a room. A mute
-- or a ban with no expires_at lasts until it is lifted; one whose
-- expires_at has passed no longer holds (the rows stay until lifted or the
-- room is deleted). Writes check them in their own statement or
-- transaction, so a mute or ban taken on one node holds on every node.
CREATE TABLE IF NOT EXISTS "rtchat_mutes" ("room_id" varchar(36) NOT NULL, "user_id" BIGINT NOT NULL, "expires_at" TIMESTAMPTZ, "muted_by" BIGINT NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, PRIMARY KEY ("room_id", "user_id"), FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS "rtchat_bans" ("room_id" varchar(36) NOT NULL, "user_id" BIGINT NOT NULL, "expires_at" TIMESTAMPTZ, "reason" VARCHAR NOT NULL, "banned_by" BIGINT NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, PRIMARY KEY ("room_id", "user_id"), FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
-- The audit trail: one row per moderation action, read newest first by id.
CREATE TABLE IF NOT EXISTS "rtchat_moderation_log" ("id" BIGSERIAL NOT NULL, "room_id" varchar(36) NOT NULL, "action" varchar(16) NOT NULL, "actor_id" BIGINT NOT NULL, "target_id" BIGINT, "message_id" varchar(36), "reason" VARCHAR NOT NULL, "expires_at" TIMESTAMPTZ, "created_at" TIMESTAMPTZ NOT NULL, PRIMARY KEY ("id"), FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "rtchat_moderation_log_room_idx" ON "rtchat_moderation_log" ("room_id", "id");
