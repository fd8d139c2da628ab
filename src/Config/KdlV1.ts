/**
 * The KDL v1 grammar (kdljs 0.2, installed as `kdljs-v1`), built when this module is imported.
 * Only the document parser is imported: kdljs's entry point also builds its query language's grammar.
 */
import * as kdljs from "kdljs-v1/src/parser/kdl.js"
import { type Grammar, runParser } from "./KdlGrammar.js"

export const parse: Grammar = runParser(kdljs.lexer, kdljs.parser)
