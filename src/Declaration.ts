/**
 * The kit a resource node is declared with, below the clouds and the configuration: the error every
 * configuration problem becomes, KDL nodes and their field readers, environment values, suggestions,
 * the files a node names, and the node kinds with the collector their expansions add resources to.
 */
export * from "./Declaration/BoundedFile.js"
export * from "./Declaration/Collector.js"
export * from "./Declaration/ConfigError.js"
export * from "./Declaration/ContentHash.js"
export * from "./Declaration/Decoding.js"
export * from "./Declaration/DnsName.js"
export * from "./Declaration/Fields.js"
export * from "./Declaration/Files.js"
export * from "./Declaration/Interpolate.js"
export * from "./Declaration/KdlNode.js"
export * from "./Declaration/NodeKind.js"
export * from "./Declaration/ResourceFields.js"
export * from "./Declaration/Suggest.js"
export * from "./Declaration/Vocabulary.js"
