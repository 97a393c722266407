// The host modules the Premiere panel requires at run time, for the type check only.
//
// "premierepro" is Adobe's published definition (npm @adobe/premierepro): its README says UXP
// exposes the Premiere API under this module id. "uxp", "fs" and "os" are written here with
// only the members the panel uses, as Adobe's UXP reference documents them
// (storage.localFileSystem.getFileForOpening, fs.readFile without a callback returns a Promise,
// os.homedir). Adobe's @adobe/cc-ext-uxp-types 7.3.1 is not used: it redeclares lib.dom's
// classes (WebSocket, Response, HTMLElement, ...) and fails the check with hundreds of
// conflicts of its own before the panel is even looked at.

declare module "premierepro" {
  const ppro: import("@adobe/premierepro").premierepro;
  export = ppro;
}

declare module "uxp" {
  interface UxpFile {
    readonly name: string;
    read(options?: { format?: symbol }): Promise<string | ArrayBuffer>;
  }
  export const storage: {
    localFileSystem: {
      getFileForOpening(options?: { types?: string[]; allowMultiple?: boolean }): Promise<UxpFile | UxpFile[] | null>;
    };
  };
}

declare module "fs" {
  export function readFile(path: string, options?: { encoding?: string }): Promise<string | ArrayBuffer>;
}

declare module "os" {
  export function homedir(): string;
}
