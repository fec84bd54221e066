"""The media library: links and uploaded files of an account, and files shared in sessions."""
