// Package serializer turns rtchat's models into their wire shapes
// (PROTOCOL.md §4), validates incoming payloads with validator/v10 and
// sanitises message content with bluemonday.
//
// Every shape has a default Serializer; an app replaces one by name through
// rtchat.WithSerializer.
package serializer
