/**
 * The Sakura Cloud resource types: for each, the inputs the provider decodes, the fields whose
 * change needs a new resource, the fields the cloud cannot report, the attributes an operator
 * reads (`fleetflow output`), and what the configuration declares; and the cloud's vocabulary.
 */
import type { ResourceType } from "../Resource.js"
import { type DeclaredDisk, diskOutputFields, diskReplaceFields, diskUnobservedFields } from "./Model/Disk.js"
import {
  type DeclaredServer,
  serverNewIdFields,
  serverOutputFields,
  serverReplaceFields,
  serverUnobservedFields
} from "./Model/Server.js"
import { type DeclaredSshKey, sshKeyOutputFields, sshKeyReplaceFields, sshKeyUnobservedFields } from "./Model/SshKey.js"
import {
  type DeclaredStartupScript,
  startupScriptOutputFields,
  startupScriptReplaceFields,
  startupScriptUnobservedFields
} from "./Model/StartupScript.js"

export { builtinScripts } from "./BuiltinScripts.js"
export * from "./Model/Disk.js"
export * from "./Model/Server.js"
export * from "./Model/SshKey.js"
export * from "./Model/StartupScript.js"
export * from "./Model/Vocabulary.js"

/** What the configuration declares for each type. */
export interface Declared {
  readonly server: DeclaredServer
  readonly disk: DeclaredDisk
  readonly "ssh-key": DeclaredSshKey
  readonly "startup-script": DeclaredStartupScript
}

/** The fields whose change needs a new resource, by type. */
export const replaceFields: Partial<Record<ResourceType, ReadonlyArray<string>>> = {
  server: serverReplaceFields,
  disk: diskReplaceFields,
  "ssh-key": sshKeyReplaceFields,
  "startup-script": startupScriptReplaceFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }

/** The fields whose change in place gives a resource a new ID, by type. */
export const newIdFields: Partial<Record<ResourceType, ReadonlyArray<string>>> = { server: serverNewIdFields }

/** The fields of each type's inputs Sakura Cloud cannot report (a refresh cannot see them change). */
export const unobservedFields = {
  server: serverUnobservedFields,
  disk: diskUnobservedFields,
  "ssh-key": sshKeyUnobservedFields,
  "startup-script": startupScriptUnobservedFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }

/** The attributes `fleetflow output` shows of each type, besides its ID. */
export const outputFields = {
  server: serverOutputFields,
  disk: diskOutputFields,
  "ssh-key": sshKeyOutputFields,
  "startup-script": startupScriptOutputFields
} satisfies { readonly [Type in keyof Declared]: ReadonlyArray<string> }
