-- The app's message columns, on rtchat's messages table. Rows sent before
-- this migration get the defaults of a message sent without them.
ALTER TABLE rtchat_messages
    ADD COLUMN priority VARCHAR(16) NOT NULL DEFAULT 'normal',
    ADD COLUMN metadata JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN is_pinned BOOLEAN NOT NULL DEFAULT FALSE;
