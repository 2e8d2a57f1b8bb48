// Keeping credentials out of logs and errors.
//
// redact() is the one place text is cleaned before a person sees it: weir::Error runs every
// message through it and so does the logger. It masks the password of any URL in the text
// (scheme://user:***@host), the value of every credential key=value pair (`PWD=***`,
// `password=***`, whatever the scheme or syntax around it) and every secret registered with
// register_secret() — passwords
// read from {env: …}, {file: …} or a URL are registered as soon as they are resolved.
#pragma once

#include <string>
#include <string_view>

namespace weir {

std::string redact(std::string_view text);

// The credentials redact() recognises by their shape (URL user-info, `password=`/`PWD=`
// pairs), without the registered secrets: for text that may hold a secret not registered
// yet, such as a connection string that failed to parse.
std::string mask_credentials(std::string_view text);

// Remembers `secret` (process-wide, thread-safe) so redact() masks it wherever it appears.
// Secrets shorter than 4 characters are not registered: masking them would garble text.
void register_secret(std::string_view secret);

}  // namespace weir
