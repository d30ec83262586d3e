DROP TRIGGER rtchat_messages_search_soft;
DROP TRIGGER rtchat_messages_search_ad;
DROP TRIGGER rtchat_message_search_au;
DROP TRIGGER rtchat_message_search_ad;
DROP TRIGGER rtchat_message_search_ai;
DROP TABLE rtchat_messages_fts;
DROP TABLE rtchat_message_search;
