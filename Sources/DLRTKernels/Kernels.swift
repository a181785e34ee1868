import DLRTModel
