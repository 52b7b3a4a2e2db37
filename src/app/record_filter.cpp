// app/record_filter.h: the records API's filter, sort and fields parameters compiled to parameterised SQL.
//
// The filter is lexed into tokens first (the text is at most 4096 bytes, so the token list is small), then parsed
// by recursive descent that emits SQL while it parses. Left-to-right parsing emits the ?s in the same order as
// the parameters are pushed. Recursion only happens for "(" and NOT, each of which counts one nesting level, so
// the stack depth is bounded by kMaxFilterDepth whatever the input.
#include "app/record_filter.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>

#include "core/text.h"

namespace hbf {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

bool IsIdentifier(std::string_view text) {
  if (text.empty() || !IsIdentStart(text[0])) return false;
  for (char c : text) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// The schema's spelling of `name`, or null. SQLite compares column names ASCII case-insensitively, so the schema
// never holds two names that differ only in case; the first match is the match.
const std::string* FindColumn(std::string_view name, const std::vector<std::string>& columns) {
  for (const std::string& column : columns) {
    if (EqualsIgnoreCase(column, name)) return &column;
  }
  return nullptr;
}

// Schema names come from our own catalogue, but doubling any '"' keeps a strange name from ending the quoting.
using db::QuoteIdentifier;

// Client text in error messages is limited to identifier-like words and numbers, and is shortened so a 4 KB word
// does not become a 4 KB message.
std::string Shorten(std::string_view text) {
  constexpr size_t kMaxEcho = 40;
  if (text.size() <= kMaxEcho) return std::string(text);
  return std::string(text.substr(0, kMaxEcho)) + "...";
}

std::string AtOffset(size_t offset) { return " at offset " + std::to_string(offset); }

std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> items;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      items.push_back(text.substr(start));
      return items;
    }
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Filter lexer

enum class TokenKind { kWord, kString, kNumber, kOp, kNot, kAnd, kOr, kLParen, kRParen, kComma, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // the word, the number's digits, the operator, or the decoded string
  size_t offset = 0;
  bool is_double = false;  // kNumber only: it had a fraction or an exponent
};

Error FilterError(std::string message) { return Error{"invalid_filter", std::move(message), 400}; }

std::string DescribeByte(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7f) return std::string("'") + c + "'";
  constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kWord: return "'" + Shorten(token.text) + "'";
    case TokenKind::kString: return "a string";
    case TokenKind::kNumber: return "number " + Shorten(token.text);
    case TokenKind::kOp: return "'" + token.text + "'";
    case TokenKind::kNot: return "'!'";
    case TokenKind::kAnd: return "'&&'";
    case TokenKind::kOr: return "'||'";
    case TokenKind::kLParen: return "'('";
    case TokenKind::kRParen: return "')'";
    case TokenKind::kComma: return "','";
    case TokenKind::kEnd: return "the end of the filter";
  }
  return "a token";
}

class FilterLexer {
 public:
  explicit FilterLexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      if (pos_ >= text_.size()) break;
      Token token;
      if (std::optional<Error> error = Next(token)) return *std::move(error);
      tokens.push_back(std::move(token));
    }
    tokens.push_back(Token{TokenKind::kEnd, "", text_.size(), false});
    return tokens;
  }

 private:
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  // Reads one token starting at pos_ (not whitespace, not the end).
  std::optional<Error> Next(Token& token) {
    const size_t start = pos_;
    token.offset = start;
    const char c = text_[pos_];
    const char next = At(pos_ + 1);
    auto single = [&](TokenKind kind, size_t length) {
      token.kind = kind;
      token.text = std::string(text_.substr(start, length));
      pos_ += length;
      return std::nullopt;
    };
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      token.kind = TokenKind::kWord;
      token.text = std::string(text_.substr(start, pos_ - start));
      return std::nullopt;
    }
    if (IsDigit(c) || (c == '-' && IsDigit(next))) return LexNumber(token);
    if (c == '"' || c == '\'') return LexString(token);
    switch (c) {
      case '(': return single(TokenKind::kLParen, 1);
      case ')': return single(TokenKind::kRParen, 1);
      case ',': return single(TokenKind::kComma, 1);
      case '=': return single(TokenKind::kOp, 1);
      case '~': return single(TokenKind::kOp, 1);
      case '<':
      case '>': return single(TokenKind::kOp, next == '=' ? 2 : 1);
      case '!':
        if (next == '=' || next == '~') return single(TokenKind::kOp, 2);
        return single(TokenKind::kNot, 1);
      case '^':
      case '$':
        if (next == '=') return single(TokenKind::kOp, 2);
        break;
      case '&':
        if (next == '&') return single(TokenKind::kAnd, 2);
        break;
      case '|':
        if (next == '|') return single(TokenKind::kOr, 2);
        break;
      default: break;
    }
    return FilterError("unexpected character " + DescribeByte(c) + AtOffset(start));
  }

  std::optional<Error> LexNumber(Token& token) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    while (IsDigit(At(pos_))) ++pos_;
    bool is_double = false;
    if (At(pos_) == '.') {
      is_double = true;
      ++pos_;
      if (!IsDigit(At(pos_))) return FilterError("malformed number" + AtOffset(start) + ": expected digits after '.'");
      while (IsDigit(At(pos_))) ++pos_;
    }
    if (At(pos_) == 'e' || At(pos_) == 'E') {
      is_double = true;
      ++pos_;
      if (At(pos_) == '+' || At(pos_) == '-') ++pos_;
      if (!IsDigit(At(pos_))) return FilterError("malformed number" + AtOffset(start) + ": expected an exponent");
      while (IsDigit(At(pos_))) ++pos_;
    }
    // "12abc" or "1.2.3" is one mistake, not a number followed by a word.
    if (IsIdentChar(At(pos_)) || At(pos_) == '.') return FilterError("malformed number" + AtOffset(start));
    token.kind = TokenKind::kNumber;
    token.text = std::string(text_.substr(start, pos_ - start));
    token.is_double = is_double;
    return std::nullopt;
  }

  std::optional<Error> LexString(Token& token) {
    const size_t start = pos_;
    const char quote = text_[pos_++];
    std::string decoded;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        token.kind = TokenKind::kString;
        token.text = std::move(decoded);
        return std::nullopt;
      }
      if (c != '\\') {
        decoded += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) break;  // a backslash at the very end: the string is unterminated
      switch (text_[pos_ + 1]) {
        case '"': decoded += '"'; break;
        case '\'': decoded += '\''; break;
        case '\\': decoded += '\\'; break;
        case 'n': decoded += '\n'; break;
        case 't': decoded += '\t'; break;
        default: return FilterError("invalid escape sequence in string" + AtOffset(pos_));
      }
      pos_ += 2;
    }
    return FilterError("unterminated string starting" + AtOffset(start));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// Filter parser

bool IsKeyword(const Token& token, std::string_view keyword) {
  return token.kind == TokenKind::kWord && EqualsIgnoreCase(token.text, keyword);
}

bool IsAnyKeyword(const Token& token) {
  for (std::string_view keyword : {"and", "or", "not", "is", "in", "null", "true", "false"}) {
    if (IsKeyword(token, keyword)) return true;
  }
  return false;
}

// A value after an operator or in an IN list.
struct Literal {
  db::Value value;
  bool is_null() const { return std::holds_alternative<db::Null>(value); }
  bool is_string() const { return std::holds_alternative<std::string>(value); }
};

// LIKE's wildcards and its escape character, escaped with the '\' that ESCAPE '\' names.
std::string EscapeLike(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

class FilterParser {
 public:
  FilterParser(const std::vector<Token>& tokens, const std::vector<std::string>& columns,
               std::vector<db::Value>& params)
      : tokens_(tokens), columns_(columns), params_(params) {}

  // The whole filter; fails on anything left after the expression.
  bool ParseFilter(std::string& sql) {
    if (!ParseOr(sql)) return false;
    const Token& rest = Peek();
    if (rest.kind == TokenKind::kEnd) return true;
    if (rest.kind == TokenKind::kRParen) return Fail("unmatched ')'" + AtOffset(rest.offset));
    return Fail("unexpected " + Describe(rest) + AtOffset(rest.offset) + ": expected AND, OR or the end of the filter");
  }

  const Error& error() const { return error_; }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  // The last token is kEnd; never move past it.
  void Advance() {
    if (tokens_[pos_].kind != TokenKind::kEnd) ++pos_;
  }

  bool Fail(std::string message) {
    error_ = FilterError(std::move(message));
    return false;
  }

  bool EnterNesting(const Token& token) {
    if (++depth_ > kMaxFilterDepth) {
      return Fail("filter nested deeper than " + std::to_string(kMaxFilterDepth) + " levels" + AtOffset(token.offset));
    }
    return true;
  }

  // Every AND/OR group is parenthesised in the output, so the SQL's precedence never depends on SQLite's.
  bool ParseOr(std::string& sql) {
    return ParseChain(sql, " OR ", [](const Token& t) { return t.kind == TokenKind::kOr || IsKeyword(t, "or"); },
                      &FilterParser::ParseAnd);
  }

  bool ParseAnd(std::string& sql) {
    return ParseChain(sql, " AND ", [](const Token& t) { return t.kind == TokenKind::kAnd || IsKeyword(t, "and"); },
                      &FilterParser::ParseUnary);
  }

  template <typename IsSeparator>
  bool ParseChain(std::string& sql, std::string_view joiner, IsSeparator is_separator,
                  bool (FilterParser::*parse_operand)(std::string&)) {
    std::string first;
    if (!(this->*parse_operand)(first)) return false;
    if (!is_separator(Peek())) {
      sql = std::move(first);
      return true;
    }
    sql = "(" + first;
    while (is_separator(Peek())) {
      Advance();
      std::string operand;
      if (!(this->*parse_operand)(operand)) return false;
      sql += joiner;
      sql += operand;
    }
    sql += ")";
    return true;
  }

  bool ParseUnary(std::string& sql) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kNot || IsKeyword(token, "not")) {
      if (!EnterNesting(token)) return false;
      Advance();
      std::string operand;
      if (!ParseUnary(operand)) return false;
      --depth_;
      // Output starting with '(' is always one fully parenthesised group (comparisons start with '"', negations
      // with "NOT"), so it needs no second pair.
      sql = operand.front() == '(' ? "NOT " + operand : "NOT (" + operand + ")";
      return true;
    }
    if (token.kind == TokenKind::kLParen) {
      if (!EnterNesting(token)) return false;
      const size_t open_offset = token.offset;
      Advance();
      if (!ParseOr(sql)) return false;
      const Token& close = Peek();
      if (close.kind != TokenKind::kRParen) {
        return Fail("expected ')' for the '(' at offset " + std::to_string(open_offset) + ", found " +
                    Describe(close) + AtOffset(close.offset));
      }
      Advance();
      --depth_;
      return true;
    }
    return ParseComparison(sql);
  }

  bool ParseComparison(std::string& sql) {
    const Token& field_token = Peek();
    if (field_token.kind != TokenKind::kWord || IsAnyKeyword(field_token)) {
      return Fail("expected a field name" + AtOffset(field_token.offset) + ", found " + Describe(field_token));
    }
    const std::string* column = FindColumn(field_token.text, columns_);
    if (column == nullptr) {
      return Fail("unknown field '" + Shorten(field_token.text) + "'" + AtOffset(field_token.offset));
    }
    if (++comparisons_ > kMaxFilterComparisons) {
      return Fail("filter has more than " + std::to_string(kMaxFilterComparisons) + " comparisons" +
                  AtOffset(field_token.offset));
    }
    const std::string field = QuoteIdentifier(*column);
    Advance();

    const Token& op = Peek();
    if (op.kind == TokenKind::kOp) {
      Advance();
      return ParseOperatorComparison(field, op, sql);
    }
    if (IsKeyword(op, "is")) {
      Advance();
      const bool negated = IsKeyword(Peek(), "not");
      if (negated) Advance();
      if (!IsKeyword(Peek(), "null")) {
        return Fail("expected NULL after IS" + AtOffset(Peek().offset) + ", found " + Describe(Peek()));
      }
      Advance();
      sql = field + (negated ? " IS NOT NULL" : " IS NULL");
      return true;
    }
    if (IsKeyword(op, "not") || IsKeyword(op, "in")) {
      const bool negated = IsKeyword(op, "not");
      if (negated) {
        Advance();
        if (!IsKeyword(Peek(), "in")) {
          return Fail("expected IN after NOT" + AtOffset(Peek().offset) + ", found " + Describe(Peek()));
        }
      }
      Advance();
      return ParseInList(field, negated, sql);
    }
    return Fail("expected an operator after field '" + *column + "'" + AtOffset(op.offset) + ", found " +
                Describe(op));
  }

  bool ParseOperatorComparison(const std::string& field, const Token& op, std::string& sql) {
    Literal literal;
    const size_t value_offset = Peek().offset;
    if (!ParseLiteral(literal)) return false;
    const std::string& symbol = op.text;

    if (symbol == "~" || symbol == "!~" || symbol == "^=" || symbol == "$=") {
      if (!literal.is_string()) {
        return Fail("operator '" + symbol + "' needs a string value" + AtOffset(value_offset));
      }
      const std::string escaped = EscapeLike(std::get<std::string>(literal.value));
      const bool wildcard_before = symbol != "^=";
      const bool wildcard_after = symbol != "$=";
      params_.push_back(std::string(wildcard_before ? "%" : "") + escaped + (wildcard_after ? "%" : ""));
      sql = field + (symbol == "!~" ? " NOT LIKE ? ESCAPE '\\'" : " LIKE ? ESCAPE '\\'");
      return true;
    }

    if (literal.is_null()) {
      // SQL's "= NULL" is never true; what the client means is IS NULL.
      if (symbol == "=") {
        sql = field + " IS NULL";
        return true;
      }
      if (symbol == "!=") {
        sql = field + " IS NOT NULL";
        return true;
      }
      return Fail("null can only be compared with = or !=" + AtOffset(value_offset));
    }

    std::string_view sql_operator;
    if (symbol == "=") sql_operator = "=";
    else if (symbol == "!=") sql_operator = "<>";
    else if (symbol == "<") sql_operator = "<";
    else if (symbol == "<=") sql_operator = "<=";
    else if (symbol == ">") sql_operator = ">";
    else if (symbol == ">=") sql_operator = ">=";
    else return Fail("unknown operator '" + symbol + "'" + AtOffset(op.offset));  // unreachable: the lexer's set
    params_.push_back(std::move(literal.value));
    sql = field + " " + std::string(sql_operator) + " ?";
    return true;
  }

  bool ParseInList(const std::string& field, bool negated, std::string& sql) {
    const Token& open = Peek();
    if (open.kind != TokenKind::kLParen) {
      return Fail("expected '(' after IN" + AtOffset(open.offset) + ", found " + Describe(open));
    }
    Advance();
    if (Peek().kind == TokenKind::kRParen) return Fail("empty IN list" + AtOffset(open.offset));
    sql = field + (negated ? " NOT IN (" : " IN (");
    size_t count = 0;
    while (true) {
      const size_t value_offset = Peek().offset;
      Literal literal;
      if (!ParseLiteral(literal)) return false;
      // "x IN (NULL)" never matches and "x NOT IN (..., NULL)" never matches either; say so instead.
      if (literal.is_null()) return Fail("null is not allowed in an IN list" + AtOffset(value_offset));
      if (++count > kMaxInListValues) {
        return Fail("IN list has more than " + std::to_string(kMaxInListValues) + " values" + AtOffset(value_offset));
      }
      params_.push_back(std::move(literal.value));
      sql += count == 1 ? "?" : ", ?";
      const Token& separator = Peek();
      if (separator.kind == TokenKind::kRParen) {
        Advance();
        sql += ")";
        return true;
      }
      if (separator.kind != TokenKind::kComma) {
        return Fail("expected ',' or ')' in IN list" + AtOffset(separator.offset) + ", found " + Describe(separator));
      }
      Advance();
    }
  }

  bool ParseLiteral(Literal& literal) {
    const Token& token = Peek();
    switch (token.kind) {
      case TokenKind::kString:
        literal.value = token.text;
        break;
      case TokenKind::kNumber:
        if (!ParseNumber(token, literal)) return false;
        break;
      case TokenKind::kWord:
        if (IsKeyword(token, "true")) literal.value = int64_t{1};
        else if (IsKeyword(token, "false")) literal.value = int64_t{0};
        else if (IsKeyword(token, "null")) literal.value = db::Null{};
        else return Fail("expected a value" + AtOffset(token.offset) + ", found " + Describe(token) +
                         " (strings must be quoted)");
        break;
      default:
        return Fail("expected a value" + AtOffset(token.offset) + ", found " + Describe(token));
    }
    Advance();
    return true;
  }

  bool ParseNumber(const Token& token, Literal& literal) {
    const char* begin = token.text.data();
    const char* end = begin + token.text.size();
    if (token.is_double) {
      double number = 0;
      auto [ptr, ec] = std::from_chars(begin, end, number);
      if (ec != std::errc() || ptr != end || !std::isfinite(number)) {
        return Fail("number out of range" + AtOffset(token.offset));
      }
      literal.value = number;
      return true;
    }
    int64_t number = 0;
    auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ec != std::errc() || ptr != end) return Fail("integer out of range" + AtOffset(token.offset));
    literal.value = number;
    return true;
  }

  const std::vector<Token>& tokens_;
  const std::vector<std::string>& columns_;
  std::vector<db::Value>& params_;
  size_t pos_ = 0;
  int depth_ = 0;
  int comparisons_ = 0;
  Error error_;
};

}  // namespace

Result<SqlFragment> CompileFilter(std::string_view filter, const std::vector<std::string>& columns) {
  if (filter.size() > kMaxFilterBytes) {
    return FilterError("filter is longer than " + std::to_string(kMaxFilterBytes) + " bytes");
  }
  if (Trim(filter).empty()) return SqlFragment{"1", {}};
  Result<std::vector<Token>> tokens = FilterLexer(filter).Run();
  if (!tokens) return tokens.error();
  SqlFragment fragment;
  FilterParser parser(*tokens, columns, fragment.params);
  if (!parser.ParseFilter(fragment.sql)) return parser.error();
  return fragment;
}

Result<std::string> CompileSort(std::string_view sort, const std::vector<std::string>& columns) {
  auto sort_error = [](std::string message) { return Error{"invalid_sort", std::move(message), 400}; };
  if (Trim(sort).empty()) return std::string();
  const std::vector<std::string_view> keys = SplitCommas(sort);
  if (keys.size() > kMaxSortKeys) return sort_error("more than " + std::to_string(kMaxSortKeys) + " sort keys");
  std::string sql;
  std::vector<const std::string*> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string_view key = Trim(keys[i]);
    const std::string position = "sort key " + std::to_string(i + 1);
    if (key.empty()) return sort_error("empty " + position);
    bool descending = false;
    if (key.front() == '-' || key.front() == '+') {
      descending = key.front() == '-';
      key.remove_prefix(1);
    }
    if (!IsIdentifier(key)) return sort_error(position + " is not a field name");
    const std::string* column = FindColumn(key, columns);
    if (column == nullptr) return sort_error("unknown sort field '" + Shorten(key) + "'");
    for (const std::string* earlier : seen) {
      // A second key on the same column either repeats or contradicts the first; neither is what was meant.
      if (earlier == column) return sort_error("field '" + *column + "' appears twice in sort");
    }
    seen.push_back(column);
    if (!sql.empty()) sql += ", ";
    sql += QuoteIdentifier(*column);
    sql += descending ? " DESC" : " ASC";
  }
  return sql;
}

Result<std::vector<std::string>> CompileFields(std::string_view fields, const std::vector<std::string>& columns) {
  auto fields_error = [](std::string message) { return Error{"invalid_fields", std::move(message), 400}; };
  if (Trim(fields).empty()) return columns;
  const std::vector<std::string_view> items = SplitCommas(fields);
  if (items.size() > kMaxFields) return fields_error("more than " + std::to_string(kMaxFields) + " fields");
  std::vector<std::string> selected;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string_view item = Trim(items[i]);
    const std::string position = "field " + std::to_string(i + 1);
    if (item.empty()) return fields_error("empty " + position);
    if (!IsIdentifier(item)) return fields_error(position + " is not a field name");
    const std::string* column = FindColumn(item, columns);
    if (column == nullptr) return fields_error("unknown field '" + Shorten(item) + "'");
    bool duplicate = false;
    for (const std::string& earlier : selected) duplicate = duplicate || earlier == *column;
    if (!duplicate) selected.push_back(*column);
  }
  return selected;
}

}  // namespace hbf
