/**
 * The KDL v2 grammar (kdljs 0.3), built when this module is imported. Only the document parser
 * is imported: kdljs's entry point also builds its query language's grammar.
 */
import * as kdljs from "kdljs/src/parser/kdl.js"
import { type Grammar, runParser } from "./KdlGrammar.js"

export const parse: Grammar = runParser(kdljs.lexer, kdljs.parser)
