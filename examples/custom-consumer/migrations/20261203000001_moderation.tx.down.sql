DROP TABLE example_message_flags;
--bun:split
DROP TABLE example_pinned_messages;
