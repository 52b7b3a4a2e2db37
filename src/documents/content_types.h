// Content types of documents: by file extension, and which are text.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace hbf::docs {

// The Content-Type for a document id by its extension
// ("css/site.css" -> "text/css; charset=utf-8"); application/octet-stream
// when unknown.
std::string ContentTypeForPath(std::string_view path);

// Text types are full-text indexed and gzip-compressed for clients that
// accept it.
bool IsTextType(std::string_view content_type);

// The media type without parameters, lower-cased ("text/html").
std::string MediaTypeOf(std::string_view content_type);

}  // namespace hbf::docs
