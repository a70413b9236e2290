import CSndFile
import Foundation

/// Bytes in memory as a read-only file for libsndfile's virtual I/O (`sf_open_virtual`).
final class MemoryStream {
  fileprivate let bytes: [UInt8]
  fileprivate var position = 0

  init(_ data: Data) { bytes = [UInt8](data) }

  /// The callbacks; libsndfile copies the struct, and passes the stream back as `user_data`.
  static var virtualIO: SF_VIRTUAL_IO {
    SF_VIRTUAL_IO(
      get_filelen: { user in sf_count_t(memoryStream(user).bytes.count) },
      seek: { offset, whence, user in memoryStream(user).seek(Int(offset), whence: whence) },
      read: { pointer, count, user in memoryStream(user).read(into: pointer, count: Int(count)) },
      write: { _, _, _ in 0 },
      tell: { user in sf_count_t(memoryStream(user).position) })
  }

  fileprivate func seek(_ offset: Int, whence: Int32) -> sf_count_t {
    let base: Int
    switch whence {
    case SEEK_SET: base = 0
    case SEEK_CUR: base = position
    case SEEK_END: base = bytes.count
    default: return -1
    }
    let (target, overflow) = base.addingReportingOverflow(offset)
    guard !overflow, target >= 0 else { return -1 }
    position = target
    return sf_count_t(target)
  }

  fileprivate func read(into pointer: UnsafeMutableRawPointer?, count: Int) -> sf_count_t {
    guard let pointer, count > 0, position < bytes.count else { return 0 }
    let length = min(count, bytes.count - position)
    bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress! + position, byteCount: length) }
    position += length
    return sf_count_t(length)
  }
}

/// The stream behind libsndfile's `user_data` (a file-level function: C callbacks capture nothing).
private func memoryStream(_ user: UnsafeMutableRawPointer?) -> MemoryStream {
  Unmanaged<MemoryStream>.fromOpaque(user!).takeUnretainedValue()
}
