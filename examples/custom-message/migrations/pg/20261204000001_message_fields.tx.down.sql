ALTER TABLE rtchat_messages
    DROP COLUMN is_pinned,
    DROP COLUMN metadata,
    DROP COLUMN priority;
