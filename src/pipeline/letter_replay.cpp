#include "pipeline/letter_replay.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "pipeline/checkpoint.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

// The column names of a letter's original record, in order.
std::vector<std::string> names_of(const std::string& original) {
  std::vector<std::string> names;
  auto object = nlohmann::ordered_json::parse(original);
  if (!object.is_object()) throw Error(ErrorKind::data, "the original record is not a JSON object");
  for (auto it = object.begin(); it != object.end(); ++it) names.push_back(it.key());
  return names;
}

// Whether `values` fit columns of `types` (a NULL fits any; an unknown type takes any).
bool fits(const std::vector<Value>& values, std::vector<Type>& types) {
  for (std::size_t c = 0; c < values.size(); ++c)
    if (!values[c].is_null() && types[c] != Type::null && types[c] != values[c].type()) return false;
  for (std::size_t c = 0; c < values.size(); ++c)
    if (types[c] == Type::null) types[c] = values[c].type();
  return true;
}

std::size_t count_of(std::string_view checkpoint) {
  std::size_t n = 0;
  std::from_chars(checkpoint.data(), checkpoint.data() + checkpoint.size(), n);
  return n;
}

}  // namespace

LetterReplay::LetterReplay(const std::vector<DeadLetterTable::Stored>& letters) {
  for (const auto& stored : letters) {
    if (stored.original.empty() || stored.original_values.empty()) {
      skipped_.push_back(fmt::format("dead letter {} holds no original record (a weir version before them made it); "
                                     "it stays in the table",
                                     stored.id));
      continue;
    }
    try {
      if (holds_change(stored.original_values)) {
        letters_.push_back(Letter{stored.id, stored.position, {}, {}, decode_change(stored.original_values)});
        continue;
      }
      // A change letter of a weir version before the typed form: its record holds the change.
      if (auto older = decode_older_change(stored.record, stored.original, stored.original_values, stored.position)) {
        letters_.push_back(Letter{stored.id, stored.position, {}, {}, std::move(*older)});
        continue;
      }
      Letter letter{stored.id, stored.position, names_of(stored.original), decode_position(stored.original_values), {}};
      if (letter.names.size() != letter.values.size())
        throw Error(ErrorKind::data, "its original record's names and values differ in number");
      letters_.push_back(std::move(letter));
    } catch (const std::exception& e) {
      skipped_.push_back(fmt::format("dead letter {}: its original record cannot be read back ({}); it stays in "
                                     "the table",
                                     stored.id, e.what()));
    }
  }
  group();
}

// Consecutive letters whose records have the same columns, of the same types, share a batch.
void LetterReplay::group() {
  std::vector<Type> types;
  for (std::size_t i = 0; i < letters_.size(); ++i) {
    const Letter& l = letters_[i];
    if (l.change) {
      group_change(i);
      continue;
    }
    const Letter* last = groups_.empty() ? nullptr : &letters_[groups_.back().first];
    bool joins = last && !last->change && last->names == l.names && fits(l.values, types);
    if (!joins) {
      groups_.push_back(Group{nullptr, i, 0});
      types.assign(l.values.size(), Type::null);
      fits(l.values, types);
    }
    ++groups_.back().count;
    std::vector<Column> columns;
    for (std::size_t c = 0; c < l.names.size(); ++c) {
      Column column;
      column.name = l.names[c];
      column.type = types[c];
      columns.push_back(std::move(column));
    }
    groups_.back().schema = std::make_shared<const Schema>(std::move(columns));
  }
}

// Consecutive changes of one table in one shape share a batch (and its Schema, which names
// the table for sql_apply).
void LetterReplay::group_change(std::size_t i) {
  const StoredChange& c = *letters_[i].change;
  const Letter* last = groups_.empty() ? nullptr : &letters_[groups_.back().first];
  if (last && last->change && last->change->source == c.source && last->change->columns == c.columns) {
    ++groups_.back().count;
    return;
  }
  groups_.push_back(Group{std::make_shared<const Schema>(c.columns, c.source), i, 1});
}

bool LetterReplay::read(Batch& out) {
  if (next_group_ == groups_.size()) return false;
  const Group& g = groups_[next_group_++];
  out.reset(g.schema);
  for (std::size_t i = g.first; i < g.first + g.count; ++i) {
    if (letters_[i].change) {
      append_stored_change(out, *letters_[i].change);
      continue;
    }
    std::span<Value> row = out.append_row();
    std::copy(letters_[i].values.begin(), letters_[i].values.end(), row.begin());
  }
  handed_out_ = g.first + g.count;
  return true;
}

const LetterReplay::Letter* LetterReplay::letter_of(const Batch& rows, std::size_t row) const {
  for (const Group& g : groups_)
    if (g.schema == rows.schema_ptr() && row < g.count) return &letters_[g.first + row];
  return nullptr;
}

std::string LetterReplay::position_of(const Batch& rows, std::size_t row) const {
  const Letter* l = letter_of(rows, row);
  return l ? l->position : std::string();
}

std::string LetterReplay::replayed_letter(const Batch& rows, std::size_t row) const {
  const Letter* l = letter_of(rows, row);
  return l ? l->id : std::string();
}

std::vector<std::string> LetterReplay::ids_between(std::string_view from, std::string_view to) const {
  std::vector<std::string> ids;
  for (std::size_t i = count_of(from); i < count_of(to) && i < letters_.size(); ++i) ids.push_back(letters_[i].id);
  return ids;
}

}  // namespace weir::pipeline
