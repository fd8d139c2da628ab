// kdljs's document parser alone, without the query language's grammar that its entry point also builds.
declare module "kdljs/src/parser/kdl.js" {
  export { parse } from "kdljs"
}

declare module "kdljs-v1/src/parser/kdl.js" {
  export { parse } from "kdljs-v1"
}
