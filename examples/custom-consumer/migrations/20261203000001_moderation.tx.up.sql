-- The app's own tables, beside rtchat's: pins and flags of rtchat's
-- messages. Written for SQLite and Postgres alike.
CREATE TABLE example_pinned_messages (
    message_id VARCHAR(36) PRIMARY KEY,
    room_id VARCHAR(36) NOT NULL,
    pinned_by BIGINT NOT NULL,
    pinned_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX example_pinned_messages_room_id ON example_pinned_messages (room_id);
--bun:split
CREATE TABLE example_message_flags (
    id VARCHAR(36) PRIMARY KEY,
    message_id VARCHAR(36) NOT NULL,
    room_id VARCHAR(36) NOT NULL,
    flagged_by BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX example_message_flags_message_id ON example_message_flags (message_id);
