/**
 * How each database's SQL quotes names and strings and writes comments — enough to split raw SQL into
 * statements and find the names it uses, without being fooled by a `--` or a `;` inside a string, a quote
 * inside a comment, or a name written in another database's quoting. One lexer, driven by this table.
 * Each follows the database's default settings (MySQL without ANSI_QUOTES or NO_BACKSLASH_ESCAPES,
 * PostgreSQL with standard_conforming_strings, SQL Server with QUOTED_IDENTIFIER ON).
 */
export interface SqlDialect {
  /** Identifier quotes: opening → closing character; a doubled closing character inside stands for itself. */
  identifierQuotes: Readonly<Record<string, string>>
  /** String quote characters; a doubled quote inside stands for itself. */
  stringQuotes: readonly string[]
  /** Whether a backslash escapes the next character in every string (MySQL), not only in `E'…'` (PostgreSQL). */
  backslashStrings: boolean
  /** PostgreSQL's `E'…'` strings (backslash escapes) and `$tag$…$tag$` strings. */
  postgresStrings: boolean
  /** Line comment markers; MySQL's `--` must be followed by a space or a control character. */
  lineComments: readonly string[]
  /** Whether block comments nest (PostgreSQL, SQL Server) or end at the first `*\/` (SQLite, MySQL). */
  nestedComments: boolean
  /** MySQL runs the text of `/*! … *\/` comments: it is code, not a comment. */
  executableComments: boolean
}

const POSTGRES: SqlDialect = {
  identifierQuotes: { '"': '"' },
  stringQuotes: ["'"],
  backslashStrings: false,
  postgresStrings: true,
  lineComments: ['--'],
  nestedComments: true,
  executableComments: false,
}

/** The dialect of each Prisma provider with raw SQL (`mongodb` has none). */
export const SQL_DIALECTS: Readonly<Record<string, SqlDialect>> = {
  postgresql: POSTGRES,
  cockroachdb: POSTGRES,
  mysql: {
    identifierQuotes: { '`': '`' },
    stringQuotes: ["'", '"'],
    backslashStrings: true,
    postgresStrings: false,
    lineComments: ['-- ', '#'],
    nestedComments: false,
    executableComments: true,
  },
  sqlite: {
    identifierQuotes: { '"': '"', '`': '`', '[': ']' },
    stringQuotes: ["'"],
    backslashStrings: false,
    postgresStrings: false,
    lineComments: ['--'],
    nestedComments: false,
    executableComments: false,
  },
  sqlserver: {
    identifierQuotes: { '"': '"', '[': ']' },
    stringQuotes: ["'"],
    backslashStrings: false,
    postgresStrings: false,
    lineComments: ['--'],
    nestedComments: true,
    executableComments: false,
  },
}

/** The dialect for a provider; an unknown one gets a lexer that accepts every dialect's quotes (names over-match). */
export function sqlDialect(provider: string): SqlDialect {
  return SQL_DIALECTS[provider] ?? { ...SQL_DIALECTS['sqlite']!, identifierQuotes: { '"': '"', '`': '`', '[': ']' } }
}

/** A name (a keyword or identifier as written, or a quoted identifier unquoted), a string's text, or punctuation. */
export type SqlToken =
  { kind: 'name'; text: string; quoted: boolean } | { kind: 'string'; text: string } | { kind: 'punct'; text: string }

const WORD = /[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_$\u0080-\uFFFF]*/y
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y

/** The statements of `sql` (split at `;` outside strings and comments), each as its tokens; comments dropped. */
export function sqlStatements(sql: string, dialect: SqlDialect): SqlToken[][] {
  const statements: SqlToken[][] = [[]]
  const push = (token: SqlToken) => statements.at(-1)!.push(token)
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    const line = dialect.lineComments.find((marker) => startsLineComment(sql, i, marker))
    if (/\s/.test(c)) i++
    else if (line !== undefined) i = lineEnd(sql, i)
    else if (sql.startsWith('/*!', i) && dialect.executableComments) i = skipVersion(sql, i + 3)
    else if (sql.startsWith('/*', i)) i = commentEnd(sql, i, dialect.nestedComments)
    // The end of a `/*! … */`.
    else if (sql.startsWith('*/', i) && dialect.executableComments) i += 2
    else if (c in dialect.identifierQuotes) {
      const [text, end] = quoted(sql, i, dialect.identifierQuotes[c]!, false)
      push({ kind: 'name', text, quoted: true })
      i = end
    } else if (dialect.stringQuotes.includes(c)) {
      const [text, end] = quoted(sql, i, c, dialect.backslashStrings)
      push({ kind: 'string', text })
      i = end
    } else if (dialect.postgresStrings && /[eE]/.test(c) && sql[i + 1] === "'") {
      const [text, end] = quoted(sql, i + 1, "'", true)
      push({ kind: 'string', text })
      i = end
    } else if (dialect.postgresStrings && c === '$' && matchAt(DOLLAR_TAG, sql, i) !== undefined) {
      const tag = matchAt(DOLLAR_TAG, sql, i)!
      const close = sql.indexOf(tag, i + tag.length)
      const end = close < 0 ? sql.length : close
      push({ kind: 'string', text: sql.slice(i + tag.length, end) })
      i = close < 0 ? sql.length : end + tag.length
    } else if (c === ';') {
      statements.push([])
      i++
    } else {
      const word = matchAt(WORD, sql, i)
      if (word !== undefined) push({ kind: 'name', text: word, quoted: false })
      else push({ kind: 'punct', text: c })
      i += word?.length ?? 1
    }
  }
  return statements.filter((statement) => statement.length > 0)
}

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at
  return pattern.exec(text)?.[0]
}

function startsLineComment(sql: string, at: number, marker: string): boolean {
  if (marker === '-- ') return sql.startsWith('--', at) && (at + 2 >= sql.length || /[\s\x00-\x1f]/.test(sql[at + 2]!))
  return sql.startsWith(marker, at)
}

function lineEnd(sql: string, at: number): number {
  const end = sql.indexOf('\n', at)
  return end < 0 ? sql.length : end + 1
}

/** After `/*!`: MySQL's optional version number (`/*!50000 …`). */
function skipVersion(sql: string, at: number): number {
  let i = at
  while (i < sql.length && /[0-9]/.test(sql[i]!)) i++
  return i
}

/** The index after the block comment opening at `at`; an unterminated one runs to the end, as in the database. */
function commentEnd(sql: string, at: number, nested: boolean): number {
  let depth = 0
  for (let i = at; i < sql.length; i++) {
    if (sql.startsWith('/*', i) && (nested || depth === 0)) {
      depth++
      i++
    } else if (sql.startsWith('*/', i)) {
      depth--
      i++
      if (depth === 0) return i + 1
    }
  }
  return sql.length
}

/** A quoted run opening at `at`: its text (doubled closers and, if asked, backslash escapes undone) and its end. */
function quoted(sql: string, at: number, close: string, backslash: boolean): [string, number] {
  let text = ''
  for (let i = at + 1; i < sql.length; i++) {
    const c = sql[i]!
    if (backslash && c === '\\') text += sql[++i] ?? ''
    else if (c !== close) text += c
    else if (sql[i + 1] === close) text += sql[++i]
    else return [text, i + 1]
  }
  return [text, sql.length]
}
