// The records API's query language (src/app/record_filter.h), compiled as
// GET /_api/data/{table}?filter=..&sort=..&fields=.. compiles it, and the
// result run against a real SQLite table (src/db). Input: filter, sort and
// fields separated by '\n'.
//
// Invariants: whatever compiles is valid SQL that SQLite prepares and runs;
// the number of parameters SQLite sees equals params.size(); refusals are
// 400s with the documented codes.
#include <string>
#include <string_view>
#include <vector>

#include "app/record_filter.h"
#include "db/database.h"
#include "fuzz_input.h"

using hbf::fuzz::Check;

namespace {

const std::vector<std::string> kColumns = {"id", "title", "Status", "priority", "created_at", "Notes_2"};

hbf::db::Database& Db() {
  static hbf::db::Database db = [] {
    auto opened = hbf::db::Database::Open(":memory:");
    Check(opened.ok(), "cannot open :memory:");
    auto d = std::move(opened).value();
    Check(d.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT, Status TEXT, priority REAL, "
                 "created_at INTEGER, Notes_2 BLOB);"
                 "INSERT INTO t VALUES (1, 'a%b_c', 'open', 1.5, 10, x'00ff'), (2, NULL, 'Done', NULL, 20, NULL);")
              .ok(),
          "cannot create the table");
    return d;
  }();
  return db;
}

std::string_view TakeLine(std::string_view& text) {
  const size_t nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view filter_text = TakeLine(text);
  const std::string_view sort_text = TakeLine(text);
  const std::string_view fields_text = text;

  auto filter = hbf::CompileFilter(filter_text, kColumns);
  if (!filter.ok()) {
    Check(filter.error().code == "invalid_filter" && filter.error().http_status == 400, "filter refusal shape");
  }
  auto sort = hbf::CompileSort(sort_text, kColumns);
  if (!sort.ok()) {
    Check(sort.error().code == "invalid_sort" && sort.error().http_status == 400, "sort refusal shape");
  }
  auto fields = hbf::CompileFields(fields_text, kColumns);
  if (!fields.ok()) {
    Check(fields.error().code == "invalid_fields" && fields.error().http_status == 400, "fields refusal shape");
  }
  if (!filter.ok()) return 0;

  std::string sql = "SELECT ";
  if (fields.ok() && !fields.value().empty()) {
    for (size_t i = 0; i < fields.value().size(); ++i) sql += (i ? ", \"" : "\"") + fields.value()[i] + "\"";
  } else {
    sql += "*";
  }
  sql += " FROM t WHERE " + filter.value().sql;
  if (sort.ok() && !sort.value().empty()) sql += " ORDER BY " + sort.value();

  auto stmt = Db().PrepareUncached(sql);
  if (!stmt.ok()) {
    std::fprintf(stderr, "SQL: %s\nerror: %s\n", sql.c_str(), stmt.error().message.c_str());
    Check(false, "a compiled filter is not valid SQL");
  }
  Check(static_cast<size_t>(stmt.value().ParameterCount()) == filter.value().params.size(),
        "parameter count differs from params.size()");
  stmt.value().BindAll(filter.value().params);
  for (int rows = 0; rows < 3; ++rows) {
    auto step = stmt.value().Step();
    if (!step.ok()) {
      std::fprintf(stderr, "SQL: %s\nerror: %s\n", sql.c_str(), step.error().message.c_str());
      Check(false, "a compiled filter fails to run");
    }
    if (!step.value()) break;
  }
  return 0;
}
