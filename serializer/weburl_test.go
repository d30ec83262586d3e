package serializer_test

import (
	"testing"

	"github.com/rtchat/rtchat/serializer"
)

func TestIsWebURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://cdn.example/a.png":          true,
		"http://cdn.example:8080/a.png?x":    true,
		"HTTPS://CDN.EXAMPLE/A.PNG":          true,
		"javascript:alert(1)":                false,
		"data:image/png;base64,AAAA":         false,
		"//cdn.example/a.png":                false,
		"/a.png":                             false,
		"https:///a.png":                     false,
		"https:cdn.example":                  false,
		"https://cdn.example/a b.png":        false,
		"https://cdn.example\\@evil.example": false,
		"":                                   false,
	} {
		if got := serializer.IsWebURL(in); got != want {
			t.Errorf("IsWebURL(%q) = %v, want %v", in, got, want)
		}
	}
}
