// kdljs's document parser alone, without the query language's grammar that its entry point also builds: its
// lexer and parser, run one after the other (`KdlGrammar.ts`), and the parser's `input` (the tokens of the last
// text), emptied after each parse.
interface KdlLexingError {
  readonly offset: number
  readonly length: number
  readonly line?: number
  readonly column?: number
  readonly message: string
}

interface KdlLexer {
  /** Chevrotain's lexer reads it at each `tokenize`. */
  readonly config: { recoveryEnabled: boolean }
  tokenize(text: string): { readonly tokens: ReadonlyArray<unknown>; readonly errors: ReadonlyArray<KdlLexingError> }
}

interface KdlDocumentParser {
  input: ReadonlyArray<unknown>
  readonly errors: ReadonlyArray<{ readonly message: string }>
  document(): unknown
}

declare module "kdljs/src/parser/kdl.js" {
  export const lexer: KdlLexer
  export const parser: KdlDocumentParser
}

declare module "kdljs-v1/src/parser/kdl.js" {
  export const lexer: KdlLexer
  export const parser: KdlDocumentParser
}
