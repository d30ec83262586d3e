-- Moderation (issue 14): mutes, bans and the audit trail of a room. A mute
-- or a ban with no expires_at lasts until it is lifted; one whose
-- expires_at has passed no longer holds (the rows stay until lifted or the
-- room is deleted). Writes check them in their own statement or
-- transaction, so a mute or ban taken on one node holds on every node.
CREATE TABLE IF NOT EXISTS "rtchat_mutes" ("room_id" varchar(36) NOT NULL, "user_id" INTEGER NOT NULL, "expires_at" TIMESTAMP, "muted_by" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, PRIMARY KEY ("room_id", "user_id"), FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS "rtchat_bans" ("room_id" varchar(36) NOT NULL, "user_id" INTEGER NOT NULL, "expires_at" TIMESTAMP, "reason" VARCHAR NOT NULL, "banned_by" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, PRIMARY KEY ("room_id", "user_id"), FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
-- The audit trail: one row per moderation action, read newest first by id.
CREATE TABLE IF NOT EXISTS "rtchat_moderation_log" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "room_id" varchar(36) NOT NULL, "action" varchar(16) NOT NULL, "actor_id" INTEGER NOT NULL, "target_id" INTEGER, "message_id" varchar(36), "reason" VARCHAR NOT NULL, "expires_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("room_id") REFERENCES "rtchat_rooms" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "rtchat_moderation_log_room_idx" ON "rtchat_moderation_log" ("room_id", "id");
