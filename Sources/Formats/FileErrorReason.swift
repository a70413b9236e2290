import Foundation

/// An error in words: Foundation's file errors as the path and what went wrong, never the
/// `Error Domain=NSCocoaErrorDomain Code=…` dump that their description is on Linux.
public func fileErrorReason(_ error: any Error) -> String {
  let nsError = error as NSError
  guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else { return "\(error)" }
  let path = nsError.userInfo[NSFilePathErrorKey] as? String ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
  let what: String
  if nsError.domain == NSPOSIXErrorDomain {
    what = posixReason(Int32(nsError.code))
  } else if let underlying = (nsError.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
    // Foundation's file errors carry the system's error, which is the most precise.
    what = posixReason(Int32(underlying.code))
  } else {
    switch CocoaError.Code(rawValue: nsError.code) {
    case .fileNoSuchFile, .fileReadNoSuchFile: what = "no such file or folder"
    case .fileWriteFileExists: what = "it already exists"
    case .fileReadNoPermission, .fileWriteNoPermission: what = "permission denied"
    case .fileWriteOutOfSpace: what = "no space left on the device"
    case .fileWriteVolumeReadOnly: what = "the file system is read-only"
    case .fileReadCorruptFile: what = "the file is corrupt or not in the expected format"
    case .fileReadInapplicableStringEncoding: what = "the text is not in the expected encoding"
    default: what = "the file operation failed (Foundation error \(nsError.code))"
    }
  }
  return path.map { "\($0): \(what)" } ?? what
}

private func posixReason(_ code: Int32) -> String {
  switch code {
  case ENOENT: "no such file or folder"
  case ENOTDIR: "a part of the path is a file, not a folder"
  case EISDIR: "it is a folder"
  case EEXIST: "it already exists"
  case EACCES, EPERM: "permission denied"
  case ENOSPC: "no space left on the device"
  case EROFS: "the file system is read-only"
  default: String(cString: strerror(code)).lowercased()
  }
}
