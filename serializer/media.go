package serializer

import "slices"

// MimeTypes is the original package's allow-list of attachment MIME types.
var MimeTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/heic",
	"audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/wav", "audio/opus",
	"video/mp4", "video/quicktime", "video/webm", "video/ogg", "video/x-msvideo", "video/x-matroska",
	"application/pdf", "application/msword",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.ms-excel",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"text/plain", "text/csv",
}

// AllowedMimeType reports whether an attachment may have this MIME type.
func AllowedMimeType(mime string) bool { return slices.Contains(MimeTypes, mime) }
