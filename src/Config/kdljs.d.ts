// kdljs's document parser alone, without the query language's grammar that its entry point also builds.
// Its parser too, whose `input` (the tokens of the last text) is emptied after each parse.
declare module "kdljs/src/parser/kdl.js" {
  export { parse } from "kdljs"
  export const parser: { input: ReadonlyArray<unknown> }
}

declare module "kdljs-v1/src/parser/kdl.js" {
  export { parse } from "kdljs-v1"
  export const parser: { input: ReadonlyArray<unknown> }
}
