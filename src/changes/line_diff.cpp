// Myers' O(ND) line diff, after trimming the common prefix and suffix.
#include "changes/line_diff.h"

#include <algorithm>
#include <string>

namespace ckg::changes {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Beyond this many differences one hunk covers the whole changed middle: a rewrite, not an edit.
constexpr int kMaxDifferences = 4000;

}  // namespace

std::vector<Hunk> diff_lines(std::string_view old_text, std::string_view new_text) {
  auto a = split_lines(old_text), b = split_lines(new_text);
  int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  int prefix = 0;
  while (prefix < n && prefix < m && a[prefix] == b[prefix]) ++prefix;
  int suffix = 0;
  while (suffix < n - prefix && suffix < m - prefix && a[n - 1 - suffix] == b[m - 1 - suffix]) ++suffix;
  int N = n - prefix - suffix, M = m - prefix - suffix;
  if (N == 0 && M == 0) return {};
  auto A = [&](int i) { return a[prefix + i]; };
  auto B = [&](int j) { return b[prefix + j]; };

  // Forward pass, keeping each round's furthest-reaching x per diagonal for the backtrack.
  int max = std::min(N + M, kMaxDifferences);
  std::vector<int> v(2 * max + 2, 0);
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[max + k - 1] < v[max + k + 1])) ? v[max + k + 1] : v[max + k - 1] + 1;
      int y = x - k;
      while (x < N && y < M && A(x) == B(y)) ++x, ++y;
      v[max + k] = x;
      if (x >= N && y >= M) { found = d; break; }
    }
  }
  if (found < 0) return {Hunk{prefix + 1, N, prefix + 1, M}};

  // Backtrack to the edit script: each round took one step (a deletion of a[x] or an insertion
  // of b[y]) after a run of equal lines.
  std::vector<char> deleted(N, 0), inserted(M, 0);
  int x = N, y = M;
  for (int d = found; d > 0; --d) {
    const std::vector<int>& before = trace[d];  // the furthest x per diagonal after round d - 1
    int k = x - y;
    bool down = k == -d || (k != d && before[max + k - 1] < before[max + k + 1]);
    int prev_k = down ? k + 1 : k - 1;
    int prev_x = before[max + prev_k], prev_y = prev_x - prev_k;
    if (down) inserted[prev_y] = 1;
    else deleted[prev_x] = 1;
    x = prev_x, y = prev_y;
  }

  // Group runs of deletions and insertions between equal lines into hunks.
  std::vector<Hunk> hunks;
  int i = 0, j = 0;
  while (i < N || j < M) {
    if (i < N && j < M && !deleted[i] && !inserted[j]) { ++i, ++j; continue; }
    Hunk h{prefix + i + 1, 0, prefix + j + 1, 0};
    while (i < N && deleted[i]) ++i, ++h.old_count;
    while (j < M && inserted[j]) ++j, ++h.new_count;
    if (h.old_count == 0 && h.new_count == 0) { ++i, ++j; continue; }
    hunks.push_back(h);
  }
  return hunks;
}

}  // namespace ckg::changes
